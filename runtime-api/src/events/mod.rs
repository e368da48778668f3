//! Typed events (feature `http-events`): the HTTP request and response of API Gateway HTTP
//! APIs (payload format 2.0) and Lambda Function URLs, which share that format, through
//! miniserde.
//!
//! ```no_run
//! use rayo_runtime::events::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
//! use rayo_runtime::{service_fn, Diagnostic, LambdaEvent};
//!
//! fn hello(e: LambdaEvent<ApiGatewayV2httpRequest>) -> Result<ApiGatewayV2httpResponse, Diagnostic> {
//!     let name = e.payload.query("name").unwrap_or("world");
//!     Ok(ApiGatewayV2httpResponse::text(200, format!("hello, {name}"))
//!         .header("content-type", "text/plain"))
//! }
//!
//! fn main() -> Result<(), rayo_runtime::Error> {
//!     rayo_runtime::run(service_fn(hello))
//! }
//! ```
//!
//! What it deliberately does not do: the REST API (payload 1.0), ALB, WebSocket and other
//! event shapes; typed authorizer contexts (they stay [`miniserde::json::Value`], with
//! [`ApiGatewayV2httpRequest::jwt_claim`] for the common case). Fields that either service
//! may leave out or send as `null` are `Option`s, so both services' payloads decode; the
//! fields every HTTP event has (`requestContext.http.method` and `.path`) are required, so
//! another kind of event is refused as `InvalidEvent` rather than half-read.

mod apigw;

pub use apigw::{
    ApiGatewayV2httpRequest, ApiGatewayV2httpResponse, HttpDescription, RequestContext,
};
