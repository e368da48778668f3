//! The two IAM calls deploy needs to bootstrap a test account (moto): `CreateRole`, `GetRole`.
//! IAM speaks the AWS Query protocol: a form-encoded POST, an XML answer.

use crate::credentials::Credentials;
use crate::encoding::form_encode;
use crate::error::Error;
use crate::transport::{xml_tag, Endpoint, Logger, Outgoing, Transport};

/// The trust policy that lets Lambda assume a role.
pub const LAMBDA_TRUST_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// A blocking IAM client (global service, signed for `us-east-1`).
#[derive(Debug, Clone)]
pub struct IamClient {
    transport: Transport,
}

impl IamClient {
    /// A client for IAM (global endpoint, signed for us-east-1) or `endpoint_url`.
    pub fn new(creds: Credentials, endpoint_url: Option<&str>) -> Result<Self, Error> {
        let endpoint = Endpoint::parse(endpoint_url.unwrap_or("https://iam.amazonaws.com"))?;
        Ok(IamClient {
            transport: Transport::new(endpoint, "us-east-1", "iam", creds)?,
        })
    }

    /// Verbose request lines (method, path, status, request id; never secrets or bodies).
    pub fn set_logger(&mut self, logger: Option<Logger>) {
        self.transport.set_logger(logger);
    }

    /// Any IAM Query action with its parameters; returns the XML answer.
    pub fn query(&self, operation: &str, params: &[(&str, &str)]) -> Result<String, Error> {
        let mut body = format!("Action={operation}&Version=2010-05-08");
        for (k, v) in params {
            body.push('&');
            body.push_str(k);
            body.push('=');
            body.push_str(&form_encode(v));
        }
        let resp = self.transport.send(&Outgoing {
            operation,
            method: "POST",
            path: "/",
            query: "",
            content_type: Some("application/x-www-form-urlencoded; charset=utf-8"),
            extra_headers: &[],
            body: body.as_bytes(),
            idempotent: true,
        })?;
        String::from_utf8(resp.body).map_err(|_| Error::InvalidResponse {
            operation: operation.into(),
            message: "body is not UTF-8".into(),
        })
    }

    fn arn_of(operation: &str, xml: &str) -> Result<String, Error> {
        xml_tag(xml, "Arn").ok_or_else(|| Error::InvalidResponse {
            operation: operation.into(),
            message: "no <Arn> in the answer".into(),
        })
    }

    /// `CreateRole`; returns the role ARN.
    pub fn create_role(&self, name: &str, trust_policy: &str) -> Result<String, Error> {
        let xml = self.query(
            "CreateRole",
            &[
                ("RoleName", name),
                ("AssumeRolePolicyDocument", trust_policy),
            ],
        )?;
        Self::arn_of("CreateRole", &xml)
    }

    /// `GetRole`; returns the role ARN.
    pub fn get_role(&self, name: &str) -> Result<String, Error> {
        let xml = self.query("GetRole", &[("RoleName", name)])?;
        Self::arn_of("GetRole", &xml)
    }

    /// The role's ARN, creating the role (trusting Lambda) when it does not exist.
    pub fn ensure_lambda_role(&self, name: &str) -> Result<String, Error> {
        match self.get_role(name) {
            Ok(arn) => Ok(arn),
            Err(e) if e.is_resource_not_found() => self.create_role(name, LAMBDA_TRUST_POLICY),
            Err(e) => Err(e),
        }
    }
}
