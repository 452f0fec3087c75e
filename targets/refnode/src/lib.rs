//! faultline-refnode: the reference node (DESIGN.md section 6).
