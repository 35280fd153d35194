"""Call monitoring: late, missed and short calls found, alerted, escalated and shown."""
