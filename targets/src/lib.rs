//! faultline-targets: one module per system under test — how to build its image, start an N-node
//! cluster, tell when it is healthy, and a client per workload with its error mapping.
