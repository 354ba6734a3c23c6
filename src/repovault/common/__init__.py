"""Small pieces shared by every domain: ids, times, secrets, errors."""
