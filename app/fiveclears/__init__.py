"""五清 The enterprise ledger: the five clears of each park enterprise, with their history,
and the coverage mode each enterprise calls for (应单建 / 联建挂靠 / 派驻)."""
