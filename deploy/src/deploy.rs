//! Deploy flow (planned next).
