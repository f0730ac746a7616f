"""Messages to shoppers, sellers and organizers: email, Zalo and SMS, sent by background jobs."""
