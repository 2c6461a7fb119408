"""Party members, binding invites and bulk import."""
