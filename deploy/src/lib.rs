//! Deploys bootstrap.zip to AWS Lambda (blocking, SigV4 written here).
