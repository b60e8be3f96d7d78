"""fleet-intent: one security intent for a fleet of EKS, GKE and AKS clusters."""

__version__ = "0.1.0"
