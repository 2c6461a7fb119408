"""先锋岗 / 责任区 / 示范岗 / 突击队 Posts, their holders, and the member's 亮身份 card."""
