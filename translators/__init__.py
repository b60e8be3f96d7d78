"""Provider plugins: each renders a cluster plan for its provider and reads live state back."""
