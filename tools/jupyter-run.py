#!/usr/bin/env python3
"""Executes one notebook through Jupyter's own client (nbclient) and the .NET Interactive kernel, as JupyterLab or
VS Code's Jupyter extension would, and saves the executed notebook.

    python3 tools/jupyter-run.py IN.ipynb OUT.ipynb --kernels DIR [--timeout SECONDS]

The notebook tool's Jupyter engine (`dotnet run tools/notebooks.cs -- run --engine jupyter`) runs this script. DIR
holds the kernel spec it writes (`kernels/.net-csharp/kernel.json`); the kernel runs with notebooks/ as its working
directory, where the notebooks' relative paths start. Uses only Debian's python3-nbclient and python3-nbformat.
Exit code 0 when every cell ran.
"""
import argparse
import os
import sys

try:
    import nbclient
    import nbformat
except ImportError as missing:
    sys.exit(f"jupyter-run: {missing.name} is missing: install it with 'apt-get install python3-nbclient python3-nbformat'")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--kernels", required=True, help="folder whose kernels/ holds the .net-csharp kernel spec")
    parser.add_argument("--timeout", type=int, default=600, help="seconds one cell may take")
    args = parser.parse_args()

    os.environ["JUPYTER_PATH"] = os.path.abspath(args.kernels)
    notebook = nbformat.read(args.input, as_version=4)
    working_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "notebooks")
    client = nbclient.NotebookClient(notebook, timeout=args.timeout, kernel_name=".net-csharp",
                                     resources={"metadata": {"path": os.path.abspath(working_dir)}})
    status = 0
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as error:
        print(f"jupyter-run: a cell failed: {str(error)[-2000:]}", file=sys.stderr)
        status = 2
    except Exception as error:  # the kernel died or never started: say so, keep what ran
        print(f"jupyter-run: {type(error).__name__}: {error}", file=sys.stderr)
        status = 2
    temporary = args.output + ".tmp"
    nbformat.write(notebook, temporary)
    os.replace(temporary, args.output)
    return status


if __name__ == "__main__":
    sys.exit(main())
