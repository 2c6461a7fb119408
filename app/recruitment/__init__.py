"""发展党员: the recruitment pipeline from 入党申请人 to 正式党员."""
