"""民主评议党员: the yearly review of a branch's members."""
