"""Pipeline health: the production plan's targets and how a day's or an hour's figures are judged against them."""
