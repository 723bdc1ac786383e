"""What feedbot keeps: domain records, the SQL tables, and the queries behind a unit of work."""
