// Kubernetes protobuf request bodies (application/vnd.kubernetes.protobuf), decoded to the
// objects the JSON wire carries. kubectl's typed-client commands (create deployment/namespace,
// autoscale, drain, …) send these.
export { decodeKubernetesProtobuf, isKubernetesProtobuf, PROTOBUF_MEDIA_TYPE, PROTOBUF_MAGIC, type DecodedObject } from './decode.js';
