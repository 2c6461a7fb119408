"""Meeting records' attachments (会议记录附件): photos and minutes stored through the app."""
