import streamlit as st
from dashboard.components import page_header
page_header("risk")
