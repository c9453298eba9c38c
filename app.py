"""ClusterKB app entry point: navigation only; each page lives in `pages/`."""

import streamlit as st

st.set_page_config(page_title="ClusterKB", layout="wide")
st.title("ClusterKB")
st.write("Base de conocimiento comparada de políticas de desarrollo de clústers.")
