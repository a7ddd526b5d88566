// Executes the course's notebooks in the real .NET Interactive kernel (dotnet-repl) and checks what learners see.
//
//   dotnet run tools/notebooks.cs -- run [--engine dotnet-repl|jupyter] [--profile quick|full|gpu] [--timeout SECONDS] [--out DIR] [notebook.ipynb...]
//   dotnet run tools/notebooks.cs -- check executed.ipynb...
//   dotnet run tools/notebooks.cs -- prepare --profile quick notebook.ipynb copy.ipynb
//   dotnet run tools/notebooks.cs -- record [--profile quick|full|gpu] [--timeout SECONDS] [notebook.ipynb...]
//   dotnet run tools/notebooks.cs -- verify [notebook.ipynb...]
//
// run: for each notebook (default: notebooks/*.ipynb), a temporary copy gets the profile's values as a cell tagged
// `injected-parameters` right after the `parameters` cell (papermill's way; `full` injects nothing), dotnet-repl
// executes the copy with notebooks/ as its working directory (the notebooks' relative paths start there), and the
// executed copy, with the source's metadata, tags and execution counts, goes to DIR (default artifacts/notebooks).
// Its outputs are in the order the kernel produced them: printed text (stdout and stderr apart, consecutive writes in
// one stream output, as Jupyter stores them) where it was written among the displays (OutputOrder).
// The notebook in notebooks/ is never written. Then the check below runs on it, and a table (notebook, status, time,
// key results: the lines that start with "Result:") ends the run; DIR/summary-PROFILE.md holds the table and
// DIR/summary-PROFILE.json the same for scripts (build.sh reads its counts). Exit code 0 when every notebook ran and
// passed. --engine jupyter executes through Jupyter's nbclient and the .NET kernel for Jupyter instead (it needs
// Debian's python3-nbclient), with the same preparation, check and summary.
//
// prepare: writes the copy with the injected parameters that `run` executes (for another executor).
//
// record: runs each notebook as `run` does, in its recording profile (metadata.deepvision.recording.profile, or
// --profile), and, when it passes, writes the outputs into the notebook in notebooks/ (sources untouched) with
// metadata.deepvision.recorded: profile, parameters, date, machine, TorchSharp and libtorch versions, time and the
// SHA-256 of the code cells. The only command that writes a notebook in notebooks/.
//
// verify: for every notebook (default notebooks/*.ipynb) that carries outputs: they come from a recording whose code
// hash and parameters are the notebook's current ones, they pass the check below, and every figure the summary states
// in bold appears in them; every bold figure of the README's results table appears in its notebook's outputs.
//
// check: fails on what a learner should never see: an error output, a rich object shown as its plain-text type name,
// a `<null>`, a compiler diagnostic, a cell that draws a chart but shows none.
//
// The tool is the class library in tools/NotebookTool (the notebook model, the injection of profiles, the engines, the
// learner check, record and verify); this file is its command line.
#:project NotebookTool/NotebookTool.csproj

return DeepVision.NotebookTool.Cli.Main(args);
