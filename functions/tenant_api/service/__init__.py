"""What the routes do, without HTTP: item edits checked against the whole draft, publishing, previews."""
