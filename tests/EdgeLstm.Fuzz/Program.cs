using System.Diagnostics;
using System.Globalization;
using EdgeLstm.Fuzz;

// The fuzz stage: seeded mutations of every reader of outside bytes (model files, checkpoints, IDX plain and gzip, MNIST
// directories, PGM) through the loaders the CLI and the C ABI call. Usage:
//   EdgeLstm.Fuzz [--cases N] [--seed S] [--target TEXT]   run cases 0..N-1 (default 24000, seed 1)
//   EdgeLstm.Fuzz --seed S --case C                         rerun one case, printing what happened
// Prints a table per target and group (target × mutation), then "N passed, N failed" counting groups: a group passes
// when every one of its cases ended in success or the loader's own format error, within the memory bound.
long cases = 24_000;
ulong seed = 1;
long? single = null;
string? filter = null;
for (int i = 0; i < args.Length; i++)
{
    string value = i + 1 < args.Length ? args[i + 1] : string.Empty;
    switch (args[i])
    {
        case "--cases":
            cases = long.Parse(value, CultureInfo.InvariantCulture);
            i++;
            break;
        case "--seed":
            seed = ulong.Parse(value, CultureInfo.InvariantCulture);
            i++;
            break;
        case "--case":
            single = long.Parse(value, CultureInfo.InvariantCulture);
            i++;
            break;
        case "--target":
            filter = value;
            i++;
            break;
        default:
            Console.Error.WriteLine($"unknown option {args[i]}; options: --cases N, --seed S, --case C, --target TEXT");
            return 2;
    }
}

string root = FindRoot();
string scratch = Path.Combine(Path.GetTempPath(), $"edgelstm-fuzz-{Environment.ProcessId}");
Directory.CreateDirectory(scratch);
try
{
    var targets = EdgeLstm.Fuzz.Targets.Targets.All(scratch).Where(t => filter is null || t.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)).ToList();
    if (targets.Count == 0)
    {
        Console.Error.WriteLine($"no target matches \"{filter}\"");
        return 2;
    }

    foreach (var target in targets)
    {
        // A seed that does not load would make every case a refusal and prove nothing.
        foreach (var valid in target.Seeds)
        {
            target.Load(valid, LoadRoute.Bytes, Path.Combine(scratch, "seed.bin"));
        }
    }

    var runner = new FuzzRunner(targets, seed, scratch, Path.Combine(root, "artifacts", "fuzz"), Console.Out);
    var clock = Stopwatch.StartNew();
    if (single is { } number)
    {
        runner.Run(number, 1, verbose: true);
    }
    else
    {
        Console.WriteLine($"fuzzing {targets.Count} targets, {cases} cases, seed {seed}");
        runner.Run(0, cases, verbose: false);
    }

    Console.WriteLine();
    foreach (var group in targets.Select(t => t.Name))
    {
        foreach (var ((target, name), result) in runner.Groups.Where(g => g.Key.Target == group))
        {
            Console.WriteLine($"{(result.Failed == 0 ? "ok  " : "FAIL")} {target}: {name}: {result}");
        }
    }

    long total = runner.Groups.Values.Sum(r => r.Cases);
    long failedCases = runner.Groups.Values.Sum(r => r.Failed);
    int passedGroups = runner.Groups.Values.Count(r => r.Failed == 0);
    int failedGroups = runner.Groups.Count - passedGroups;
    Console.WriteLine($"{total} cases in {FuzzRunner.Elapsed(clock)} s ({failedCases} failed); the result counts groups (target × mutation)");
    Console.WriteLine($"{passedGroups} passed, {failedGroups} failed");
    return failedGroups == 0 ? 0 : 1;
}
finally
{
    Directory.Delete(scratch, recursive: true);
}

static string FindRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "EdgeLstm.sln")))
        {
            return dir.FullName;
        }
    }

    return Directory.GetCurrentDirectory();
}
