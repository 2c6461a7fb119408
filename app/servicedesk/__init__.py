"""诉求 / 建言 / 服务预约: requests from members and enterprise staff (issue 21, part 2)."""
