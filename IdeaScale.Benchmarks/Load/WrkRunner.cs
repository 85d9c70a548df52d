using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace IdeaScale.Benchmarks.Load;

/// <summary>What one wrk run measured (from the BENCH_RESULT line its script prints in done()).</summary>
internal sealed record WrkResult(
    long Requests, double Seconds, long StatusErrors, long SocketErrors, double P50Ms, double P90Ms, double P99Ms,
    double ClientCpuPercent, double ServerCpuPercent)
{
    public double RequestsPerSecond => Seconds > 0 ? Requests / Seconds : 0;
    public long Errors => StatusErrors + SocketErrors;
}

/// <summary>Runs wrk with a script of the wrk folder on the client core, timed by /usr/bin/time for the client's CPU use.</summary>
internal sealed class WrkRunner(string luaDirectory, int clientCore, string token, string workDirectory)
{
    /// <summary>wrk's CPU time (user + system) over every run so far, in seconds.</summary>
    public double ClientCpuSeconds { get; private set; }

    /// <summary>A scim.lua scenario (its first argument is the scenario name).</summary>
    public Task<WrkResult> RunAsync(ServerProcess server, int connections, TimeSpan duration, params string[] scriptArguments) =>
        RunScriptAsync("scim.lua", server, connections, duration, scriptArguments);

    public async Task<WrkResult> RunScriptAsync(string script, ServerProcess server, int connections, TimeSpan duration, params string[] scriptArguments)
    {
        var timeFile = Path.Combine(workDirectory, "wrk.time");
        var start = new ProcessStartInfo("/usr/bin/time")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workDirectory,
        };
        string[] arguments =
        [
            "-f", "%U %S %e", "-o", timeFile,
            "taskset", "-c", clientCore.ToString(CultureInfo.InvariantCulture),
            "wrk", "-t1", "-c" + connections.ToString(CultureInfo.InvariantCulture),
            "-d" + ((int)Math.Ceiling(duration.TotalSeconds)).ToString(CultureInfo.InvariantCulture) + "s",
            "--timeout", "30s", "--latency", "-s", Path.Combine(luaDirectory, script), server.BaseUri.ToString().TrimEnd('/'), "--",
            .. scriptArguments,
        ];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["BENCH_TOKEN"] = token;
        var cpuBefore = server.CpuSeconds();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start wrk.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var cpuAfter = server.CpuSeconds();
        var output = await stdout;
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("BENCH_RESULT ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"wrk printed no result (exit {process.ExitCode}): {output} {await stderr}");

        using var json = JsonDocument.Parse(line["BENCH_RESULT ".Length..]);
        var r = json.RootElement;
        var seconds = r.GetProperty("duration_us").GetInt64() / 1_000_000.0;
        var times = (await File.ReadAllTextAsync(timeFile)).Trim().Split('\n')[^1].Split(' ');
        var clientCpu = double.Parse(times[0], CultureInfo.InvariantCulture) + double.Parse(times[1], CultureInfo.InvariantCulture);
        var elapsed = double.Parse(times[2], CultureInfo.InvariantCulture);
        ClientCpuSeconds += clientCpu;
        return new WrkResult(
            r.GetProperty("requests").GetInt64(),
            seconds,
            r.GetProperty("status").GetInt64(),
            r.GetProperty("connect").GetInt64() + r.GetProperty("read").GetInt64() + r.GetProperty("write").GetInt64() + r.GetProperty("timeout").GetInt64(),
            r.GetProperty("p50_us").GetInt64() / 1000.0,
            r.GetProperty("p90_us").GetInt64() / 1000.0,
            r.GetProperty("p99_us").GetInt64() / 1000.0,
            elapsed > 0 ? 100 * clientCpu / elapsed : 0,
            seconds > 0 ? 100 * (cpuAfter - cpuBefore) / elapsed : 0);
    }
}
