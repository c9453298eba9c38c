"""Turning files (PDF, DOCX, Markdown, text) into documents and passages for the knowledge base."""
