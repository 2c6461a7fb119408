"""党群服务中心 rooms (一室多用) and their bookings."""
