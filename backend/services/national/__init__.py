"""National measures and returns: code lists, Client Level Data, NICE QS123."""
