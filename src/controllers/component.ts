// Adapter for `kujira up`'s component list: { name, start(ctx) → { stop } }.
// Typed structurally so this folder never imports src/cmd.
import { KubeClient } from '../client/index.js';
import { startControllerManager, type ControllerManagerOptions } from './index.js';

export interface ControllersContext {
  api: { server: string; caPem: string; token: string };
}

export const controllersComponent = {
  name: 'controllers',
  async start(ctx: ControllersContext, options: ControllerManagerOptions = {}): Promise<{ stop(): Promise<void> }> {
    const client = new KubeClient({ server: ctx.api.server, ca: ctx.api.caPem, token: ctx.api.token, userAgent: 'kujira-controller-manager' });
    const manager = startControllerManager({ client, options });
    return {
      async stop() {
        await manager.stop();
        client.close();
      },
    };
  },
};
