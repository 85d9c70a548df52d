using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace IdeaScale.Benchmarks.Load;

/// <summary>
/// <c>--profile</c>: samples the app's server process with Linux <c>perf</c> (call stacks, 999 Hz) during each of
/// its measurements and writes, per scenario, where its CPU went: by component (the leaf frame's library or
/// namespace: SQLite, EF Core, System.Text.Json, ASP.NET Core, our code, the runtime, the kernel), by our own
/// methods (inclusive: a sample counts for every IdeaScale frame on its stack), and the hottest leaf symbols.
/// The app runs with <c>DOTNET_PerfMapEnabled=1</c> and W^X off so perf can name JIT-compiled methods. Sampling costs the
/// measured rates a few percent, so a profiled run's figures are not the benchmark's; run it on its own.
/// </summary>
internal sealed class Profiler(string directory, string dataDirectory)
{
    private const int TopRows = 25;
    private const int Hertz = 999;
    private const double SampleMicroseconds = 1_000_000.0 / Hertz;

    /// <summary>The environment the app needs for its JIT-compiled frames to have names.</summary>
    public static IReadOnlyDictionary<string, string> AppEnvironment { get; } = new Dictionary<string, string>
    {
        ["DOTNET_PerfMapEnabled"] = "1",
        // With W^X on (the default) JIT-compiled code runs from a double-mapped memfd that perf reports as
        // "[unknown] (deleted)" instead of looking it up in /tmp/perf-PID.map.
        ["DOTNET_EnableWriteXorExecute"] = "0",
        // Precompiled (ReadyToRun) framework code has no perf-map names: JIT everything (hot code reaches the same
        // tier-1 code either way; only the start is slower).
        ["DOTNET_ReadyToRun"] = "0",
    };

    public string Directory { get; } = directory;

    private readonly List<(string Label, string Title, string Headline)> index = [];

    /// <summary>Where the perf.data files stay (the run's work folder): <c>IdeaScale.Benchmarks profile</c> re-reads one.</summary>
    public string DataDirectory { get; } = dataDirectory;

    /// <summary>Runs <paramref name="measure"/> with perf sampling <paramref name="server"/>, then writes <c>&lt;label&gt;.md</c>.</summary>
    public async Task<WrkResult> AroundAsync(ServerProcess server, string label, string title, Func<Task<WrkResult>> measure)
    {
        System.IO.Directory.CreateDirectory(Directory);
        System.IO.Directory.CreateDirectory(DataDirectory);
        var data = Path.Combine(DataDirectory, label + ".perf.data");
        var record = new ProcessStartInfo("perf")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "record", "-F", Hertz.ToString(CultureInfo.InvariantCulture), "-g", "-p", server.Id.ToString(CultureInfo.InvariantCulture), "-o", data })
        {
            record.ArgumentList.Add(argument);
        }

        using var perf = Process.Start(record) ?? throw new InvalidOperationException("Could not start perf.");
        var perfErr = perf.StandardError.ReadToEndAsync();
        var perfOut = perf.StandardOutput.ReadToEndAsync();
        WrkResult result;
        try
        {
            result = await measure();
        }
        finally
        {
            using (var stop = Process.Start("kill", ["-INT", perf.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await stop.WaitForExitAsync();
            }

            await perf.WaitForExitAsync();
            await perfOut;
            await perfErr;
        }

        var summary = await SummariseAsync(data, title, result.Requests);
        await File.WriteAllTextAsync(Path.Combine(Directory, label + ".md"), summary);
        index.Add((label, title, Headline(summary)));
        await File.WriteAllTextAsync(Path.Combine(Directory, "index.md"), Index());
        return result;
    }

    /// <summary>The summary of one perf.data file as markdown (also <c>IdeaScale.Benchmarks profile --data F --title T</c>).</summary>
    public static async Task<string> SummariseAsync(string data, string title, long requests)
    {
        var script = new ProcessStartInfo("perf")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "script", "-i", data, "-F", "ip,sym,dso" })
        {
            script.ArgumentList.Add(argument);
        }

        using var process = Process.Start(script) ?? throw new InvalidOperationException("Could not start perf script.");
        var errors = process.StandardError.ReadToEndAsync();
        var samples = new List<List<(string Symbol, string Dso)>>();
        List<(string, string)>? current = null;
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.Length == 0)
            {
                current = null;
                continue;
            }

            var frame = ParseFrame(line);
            if (frame is null)
            {
                continue;
            }

            if (current is null)
            {
                current = [];
                samples.Add(current);
            }

            current.Add(frame.Value);
        }

        await process.WaitForExitAsync();
        await errors;
        return Render(title, samples, requests);
    }

    /// <summary>A line of <c>perf script -F ip,sym,dso</c>: "  7f0c12345678 Namespace.Type::Method(args) (/path/lib.so)".</summary>
    private static (string Symbol, string Dso)? ParseFrame(string line)
    {
        var text = line.Trim();
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        if (space < 0)
        {
            return null;
        }

        var rest = text[(space + 1)..];
        var open = rest.LastIndexOf(" (", StringComparison.Ordinal);
        return open < 0 ? (rest, "") : (rest[..open], rest[(open + 2)..].TrimEnd(')'));
    }

    private static string Render(string title, List<List<(string Symbol, string Dso)>> samples, long requests)
    {
        var total = Math.Max(1, samples.Count);
        var components = new Dictionary<string, int>();
        var leaves = new Dictionary<string, int>();
        var ours = new Dictionary<string, int>();
        var libraries = new Dictionary<string, int>();
        foreach (var stack in samples)
        {
            var frames = stack.Select(f => Name(f.Symbol, f.Dso)).ToList();
            Add(components, LeafComponent(frames));
            Add(leaves, $"{Shorten(frames[0].Method)} ({frames[0].Module})");
            foreach (var method in frames.Where(f => f.Module == "IdeaScale.Portal").Select(f => OurMethod(f.Method)).Distinct())
            {
                Add(ours, method);
            }

            // The library our code called into: the outermost frame below the innermost IdeaScale frame.
            var innermost = frames.FindIndex(f => f.Module == "IdeaScale.Portal");
            if (innermost > 0)
            {
                Add(libraries, $"{OurMethod(frames[innermost].Method)} → {Component(frames[innermost - 1])}");
            }
        }

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# Profile: {title}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"{samples.Count:N0} samples of the app's process at {Hertz} Hz (perf record -g), over the measurement{(requests > 0 ? string.Create(CultureInfo.InvariantCulture, $" of {requests:N0} requests: {SampleMicroseconds * samples.Count / requests:N0} µs of CPU per request sampled") : "")}. Each sample stands for {SampleMicroseconds / 1000:0.0} ms of CPU; µs per request = samples × that / requests.");
        Table(text, "Where the CPU went, by the leaf frame's component (self time)", "Component", components, total, int.MaxValue, requests);
        text.AppendLine();
        text.AppendLine("Inclusive figures follow the stack, and async code makes them generous: when an awaited task completes, the code after the await often runs on the completing frame's stack, so a method that awaits a lock or a transaction's start (a `BeginAsync`) carries the work that ran inline after it.");
        Table(text, "Our methods, inclusive (share of samples with the method on the stack)", "Method", ours, total, TopRows, requests);
        Table(text, "What our innermost method on the stack was running (inclusive)", "Our method → the component it called", libraries, total, TopRows, requests);
        Table(text, "Hottest leaf symbols (self time)", "Symbol", leaves, total, TopRows, requests);
        return text.ToString();
    }

    /// <summary>The profiles of the run so far, each with its three largest components.</summary>
    private string Index()
    {
        var text = new StringBuilder("# Profiles of the run\n\nEach file: where the app's CPU went during one measurement (see IdeaScale.Benchmarks/Load/Profiler.cs).\n\n| Profile | Measurement | Largest components (self time) |\n|---|---|---|\n");
        foreach (var (label, title, headline) in index)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| [{label}]({label}.md) | {title} | {headline} |");
        }

        return text.ToString();
    }

    /// <summary>"kernel 22%, runtime 17%, SQLite 15%": the first three rows of the component table.</summary>
    private static string Headline(string summary) => string.Join(", ", summary.Split('\n')
        .SkipWhile(l => !l.StartsWith("## Where the CPU went", StringComparison.Ordinal)).Skip(4).Take(3)
        .Select(l => l.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        .Where(c => c.Length == 2).Select(c => $"{c[0].Trim('`')} {c[1]}"));

    private static void Add(Dictionary<string, int> counts, string key) =>
        counts[key] = counts.GetValueOrDefault(key) + 1;

    private static void Table(StringBuilder text, string heading, string column, Dictionary<string, int> counts, int total, int rows, long requests)
    {
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"## {heading}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"| {column} | Share |{(requests > 0 ? " µs per request |" : "")}");
        text.AppendLine(requests > 0 ? "|---|--:|--:|" : "|---|--:|");
        foreach (var (key, count) in counts.OrderByDescending(c => c.Value).Take(rows))
        {
            var perRequest = requests > 0 ? string.Create(CultureInfo.InvariantCulture, $" {SampleMicroseconds * count / requests:0.0} |") : "";
            text.AppendLine(CultureInfo.InvariantCulture, $"| `{key.Replace("|", "\\|", StringComparison.Ordinal)}` | {100.0 * count / total:0.0}% |{perRequest}");
        }
    }

    /// <summary>
    /// A frame's module and method. perf-map names of managed code read
    /// "instance void [System.Private.CoreLib] System.Runtime.InteropServices.SafeHandle::DangerousAddRef": the
    /// assembly in brackets before the type; native frames name their library file.
    /// </summary>
    internal static (string Module, string Method) Name(string symbol, string dso)
    {
        var colons = symbol.IndexOf("::", StringComparison.Ordinal);
        var end = colons < 0 ? symbol.Length : colons;
        var open = symbol.LastIndexOf('[', Math.Max(0, end - 1));
        var close = open < 0 ? -1 : symbol.IndexOf("] ", open, StringComparison.Ordinal);
        if (open >= 0 && close > open && close < end)
        {
            return (symbol[(open + 1)..close], symbol[(close + 2)..].Split('(')[0].Trim());
        }

        var file = Path.GetFileName(dso);
        return (file.StartsWith("perf-", StringComparison.Ordinal) ? "runtime stubs" : file.Length == 0 ? "unknown" : file, symbol.Split('(')[0].Trim());
    }

    /// <summary>
    /// The component of a sample's leaf frame, with the kernel split by what it was doing (found on the kernel part of
    /// the stack: network, file I/O, waits and wake-ups) and libc and the loader charged to the library that called them.
    /// </summary>
    internal static string LeafComponent(List<(string Module, string Method)> frames)
    {
        var leaf = Component(frames[0]);
        if (leaf.StartsWith("kernel", StringComparison.Ordinal))
        {
            var kernel = frames.TakeWhile(f => Component(f).StartsWith("kernel", StringComparison.Ordinal)).Select(f => f.Method).ToList();
            bool Any(params string[] parts) => kernel.Any(m => parts.Any(p => m.Contains(p, StringComparison.Ordinal)));
            return Any("tcp_", "sock_", "inet_", "__sys_sendto", "__sys_recvfrom", "sendmsg", "recvmsg", "skb", "net_rx", "__dev_queue", "loopback")
                ? "kernel: network (loopback TCP)"
                : Any("vfs_read", "vfs_write", "ext4", "filemap", "pread", "pwrite", "fsync", "fdatasync", "do_iter_", "generic_perform_write")
                    ? "kernel: file I/O (SQLite's reads and writes)"
                    : Any("futex", "schedule", "finish_task_switch", "try_to_wake_up", "epoll", "do_nanosleep")
                        ? "kernel: waits and wake-ups (futex, epoll, context switches)"
                        : "kernel: other (page faults, timers, interrupts)";
        }

        if (leaf == "native libraries (libc, System.Native)")
        {
            var caller = frames.Skip(1).Select(Component).FirstOrDefault(c => c != leaf);
            return caller is null ? leaf : $"{caller}, in libc";
        }

        return leaf;
    }

    /// <summary>The library or component a frame belongs to.</summary>
    internal static string Component((string Module, string Method) frame)
    {
        var (module, method) = frame;
        if (module.Contains("sqlite3", StringComparison.OrdinalIgnoreCase))
        {
            return "SQLite engine (native)";
        }

        if (module.Contains("kernel", StringComparison.Ordinal))
        {
            return "kernel (network, system calls, scheduling)";
        }

        if (module.StartsWith("libcoreclr", StringComparison.Ordinal) || module.StartsWith("libclrjit", StringComparison.Ordinal) || module == "runtime stubs")
        {
            return "runtime (GC, JIT, stubs; native, unnamed)";
        }

        if (module.StartsWith("lib", StringComparison.Ordinal) || module.StartsWith("ld-linux", StringComparison.Ordinal))
        {
            return "native libraries (libc, System.Native)";
        }

        if (module == "Anonymously Hosted DynamicMethods Assembly")
        {
            return "EF Core (generated materializers)";
        }

        foreach (var (prefix, name) in Namespaces)
        {
            if (method.StartsWith(prefix, StringComparison.Ordinal) || module.StartsWith(prefix, StringComparison.Ordinal))
            {
                return name;
            }
        }

        return module == "unknown" || module.StartsWith("[unknown]", StringComparison.Ordinal) ? "unresolved" : module;
    }

    private static readonly (string Prefix, string Name)[] Namespaces =
    [
        ("IdeaScale.", "our code (IdeaScale.*)"),
        ("Microsoft.EntityFrameworkCore", "EF Core"),
        ("Microsoft.Data.Sqlite", "Microsoft.Data.Sqlite (ADO.NET)"),
        ("SQLitePCL", "SQLitePCL (interop)"),
        ("Npgsql", "Npgsql"),
        ("System.Text.Json", "System.Text.Json"),
        ("Microsoft.AspNetCore", "ASP.NET Core (Kestrel, routing, auth)"),
        ("System.Net", "ASP.NET Core (Kestrel, routing, auth)"),
        ("System.IO.Pipelines", "ASP.NET Core (Kestrel, routing, auth)"),
        ("Microsoft.Extensions", "Microsoft.Extensions (DI, logging, options)"),
        ("System.Linq", "LINQ and expression trees"),
        ("System.Collections", "BCL: collections"),
        ("System.Text", "BCL: text and encoding"),
        ("System.Threading", "BCL: tasks and threading"),
        ("System.Runtime", "BCL: runtime helpers (interop, async)"),
        ("System.Security.Cryptography", "BCL: cryptography"),
        ("System.", "BCL: other"),
    ];

    /// <summary>"IdeaScale.Portal.Scim.Users.UserWriter+&lt;WriteAsync&gt;d__5::MoveNext" → "Scim.Users.UserWriter.WriteAsync".</summary>
    internal static string OurMethod(string method)
    {
        var name = method.StartsWith("IdeaScale.Portal.", StringComparison.Ordinal) ? method["IdeaScale.Portal.".Length..] : method;
        var lt = name.IndexOf("+<", StringComparison.Ordinal);
        if (lt >= 0 && name.IndexOf('>', lt) is var gt and > 0)
        {
            // An async or iterator state machine: the method it implements.
            name = name[..lt] + "." + name[(lt + 2)..gt];
        }

        return name.Replace("::", ".", StringComparison.Ordinal);
    }

    private static string Shorten(string name) => name.Length > 140 ? name[..140] + "…" : name;
}
