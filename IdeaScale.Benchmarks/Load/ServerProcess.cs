using System.Diagnostics;
using System.Globalization;

namespace IdeaScale.Benchmarks.Load;

/// <summary>
/// A server under test: a child process pinned to one core with <c>taskset</c> (which execs the server, so the
/// pid is the server's), its output in a log file, its peak RSS and CPU time read from /proc.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly Process process;
    private readonly StreamWriter log;
    private double lastCpuSeconds;
    private bool stopped;

    private ServerProcess(string name, Process process, StreamWriter log, string logPath, Uri baseUri)
    {
        Name = name;
        this.process = process;
        this.log = log;
        LogPath = logPath;
        BaseUri = baseUri;
    }

    public string Name { get; }
    public string LogPath { get; }
    public Uri BaseUri { get; }
    public int Id => process.Id;

    /// <summary>How long a server may take to answer its health check (a first start migrates; a shared machine is slow).</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(300);

    /// <summary>Starts <paramref name="command"/> on core <paramref name="core"/> and waits until <paramref name="healthPath"/> answers 200.</summary>
    public static async Task<ServerProcess> StartAsync(
        string name, int core, string command, IEnumerable<string> arguments, string workingDirectory,
        IReadOnlyDictionary<string, string> environment, Uri baseUri, string healthPath, string logPath)
    {
        var start = new ProcessStartInfo("taskset")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(core.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add(command);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {name}.");
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerProcess(name, process, log, logPath, baseUri);
        // bench.sh stops the servers by these pids if the run is interrupted.
        await File.WriteAllTextAsync(Path.ChangeExtension(logPath, ".pid"), process.Id.ToString(CultureInfo.InvariantCulture));

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{name} exited with code {process.ExitCode} while starting; see {logPath}.");
            }

            try
            {
                using var response = await Probe.GetAsync(new Uri(baseUri, healthPath));
                if (response.IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        await server.DisposeAsync();
        throw new TimeoutException($"{name} did not become healthy within {StartTimeout.TotalSeconds:0} s; see {logPath}.");
    }

    /// <summary>Peak resident set size so far (VmHWM), in KiB.</summary>
    public long PeakRssKib() => StatusValueKib("VmHWM:");

    /// <summary>Current resident set size (VmRSS), in KiB.</summary>
    public long RssKib() => StatusValueKib("VmRSS:");

    /// <summary>
    /// User plus system CPU time consumed so far, in seconds (from /proc/pid/stat; clock ticks are 1/100 s on Linux);
    /// once the process has exited, the last reading (taken again just before it is stopped).
    /// </summary>
    public double CpuSeconds()
    {
        if (stopped)
        {
            return lastCpuSeconds;
        }

        try
        {
            var stat = File.ReadAllText($"/proc/{process.Id}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // Fields after "(comm)": state is index 0, utime is field 14 overall (index 11 here), stime index 12.
            lastCpuSeconds = (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
        }
        catch (IOException)
        {
        }

        return lastCpuSeconds;
    }

    public async ValueTask DisposeAsync()
    {
        CpuSeconds();
        stopped = true;
        if (!process.HasExited)
        {
            // SIGTERM first so the app shuts down as in production (flushes its log channel), then SIGKILL.
            using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }

        process.Dispose();
        await log.DisposeAsync();
        File.Delete(Path.ChangeExtension(LogPath, ".pid"));
    }

    private long StatusValueKib(string key)
    {
        foreach (var line in File.ReadLines($"/proc/{process.Id}/status"))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                return long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.WriteLine(line);
        }
    }
}
