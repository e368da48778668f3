//! Blocking AWS Lambda Runtime API client.
