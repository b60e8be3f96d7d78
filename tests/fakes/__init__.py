"""HTTP-level fakes of the provider APIs for live-collection tests."""
