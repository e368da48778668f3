"""AWS Lambda's published on-demand prices: the one place the report takes them from.

Checked: 2026-11-24. Region: US East (N. Virginia), first monthly pricing tier (x86_64: the
first 6 billion GB-seconds a month; arm64: the first 7.5 billion). Free tier not applied.

Sources:
- https://aws.amazon.com/lambda/pricing/ (the page renders its rate tables client-side; the
  figures below are the long-standing us-east-1 rates as quoted from that page by, among
  others, the pricing tables in artillery's lib/platform/aws-lambda/prices.js and
  cloudchipr.com/blog/aws-lambda-pricing; re-check the page before relying on them).
- Duration is billed in 1 ms increments, rounded up (AWS, since December 2020).
- INIT billing: "AWS Lambda standardizes billing for INIT Phase", AWS Compute Blog,
  https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/ :
  from 2025-08-01 the INIT phase is billed for every on-demand function. Before that it was
  already billed for custom runtimes (provided.al2023, rayo's and lambda_runtime's case), OCI
  images and provisioned concurrency, and free for ZIP functions on managed runtimes (the
  Python rows' case).
"""

CHECKED = "2026-11-24"
REGION = "us-east-1 (US East, N. Virginia), first pricing tier"
SOURCE = "https://aws.amazon.com/lambda/pricing/"
INIT_BILLING_SOURCE = "https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/"
INIT_BILLED_SINCE = "2025-08-01"

# USD. request: per single request ($0.20 per million).
PRICES = {
    "arm64": {"gb_second": 0.0000133334, "request_per_million": 0.20},
    "x86_64": {"gb_second": 0.0000166667, "request_per_million": 0.20},
}
