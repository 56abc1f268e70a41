export { DEFAULT_SCHEDULER_NAME, startScheduler } from './scheduler.js';
export type { RunningScheduler, SchedulerOptions, SchedulerStats, StartSchedulerArgs } from './scheduler.js';
