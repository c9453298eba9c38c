"""The `clusterkb` command line: one module per command group, registered here in help order."""

import typer

from clusterkb.cli import admin, briefs, docs, evaluate, ingest, learn, search, tags, users, worker

app = typer.Typer(
    help="ClusterKB: a comparative knowledge base of cluster-development policy.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
app.command()(ingest.ingest)
app.command()(search.search)
app.command()(admin.stats)
app.command("eval")(evaluate.evaluate_cmd)
app.command()(tags.tag)
app.command()(tags.tags)
app.command("map")(search.evidence_map)
app.command()(search.compare)
app.add_typer(docs.docs_app, name="docs", help="Documents: list, show, correct metadata, remove.")
app.command("check")(admin.check_cmd)
app.command()(admin.serve)
app.command()(worker.worker)
app.add_typer(
    briefs.brief_app, name="brief", help="Recommendation briefs: collect, annotate, export."
)
app.add_typer(learn.learn_app, name="learn", help="Learning path and quizzes for new officials.")
app.add_typer(users.users_app, name="users", help="The app's users and their roles.")

__all__ = ["app"]
