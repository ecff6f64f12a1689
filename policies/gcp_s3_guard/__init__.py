"""Policy rules for Google Cloud workload to Amazon S3 federation; independent of the components."""
