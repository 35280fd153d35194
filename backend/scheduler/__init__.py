"""The scheduler process: APScheduler jobs run by `flask scheduler run`, never by web workers."""
