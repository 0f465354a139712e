"""The Streamlit dashboard: pages read from metrics/ and data_checks/, never SQL of their own."""
