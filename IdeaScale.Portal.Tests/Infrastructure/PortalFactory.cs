using System.Collections.Concurrent;

using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace IdeaScale.Portal.Tests.Infrastructure;

/// <summary>
/// Hosts the real app on a real SQLite file in a fresh temporary folder, with known demo secrets, and captures
/// everything the app logs so tests can assert what was (and was not) written. With <c>PORTAL_TEST_PROVIDER=PostgreSQL</c>
/// and <c>PORTAL_TEST_POSTGRES</c> (a connection string without a database, e.g. <c>Host=127.0.0.1;Port=55432;Username=postgres</c>;
/// ./test.sh sets both) every factory gets its own, new PostgreSQL database instead, named after its data folder, which
/// the app creates on start. Tests about SQLite itself (query plans, pragmas, the file) carry
/// <c>[Trait("Provider", "Sqlite")]</c> and run in the SQLite run only.
/// </summary>
public class PortalFactory : WebApplicationFactory<Program>
{
    public const string AdminPassword = "Adm1n-Test-Pass!";
    public const string CsmPassword = "Csm-Test-Pass-42!";
    public const string LeadPassword = "Lead-Test-Pass-7!";
    public const string IdesToken = "iscim_test-ides-0123456789abcdefghijklmnopqrstuvwxyzABCD";
    public const string AcmeToken = "iscim_test-acme-0123456789abcdefghijklmnopqrstuvwxyzABCD";
    public const string IdesOAuthClientId = "ides-test-client";
    public const string IdesOAuthSecret = "iscs_test-ides-secret-0123456789abcdefghijklmnopqrstuv";

    private readonly Dictionary<string, string?> settings;
    private bool kestrel;

    public PortalFactory() : this(null, null)
    {
    }

    /// <param name="directory">Reuse an existing data folder (to restart "the same" instance); a new one when null.</param>
    /// <param name="overrides">Configuration on top of the defaults; a null value removes a default.</param>
    public PortalFactory(string? directory, IDictionary<string, string?>? overrides)
    {
        DataDirectory = directory ?? Directory.CreateTempSubdirectory("ideascale-test-").FullName;
        settings = new Dictionary<string, string?>
        {
            ["Database:Provider"] = Provider.ToString(),
            ["ConnectionStrings:Portal"] = ConnectionString,
            ["Seed:AdminPassword"] = AdminPassword,
            ["Seed:CsmPassword"] = CsmPassword,
            ["Seed:LeadPassword"] = LeadPassword,
            ["Seed:Workspaces:ides:ScimToken"] = IdesToken,
            ["Seed:Workspaces:acme:ScimToken"] = AcmeToken,
            ["Seed:Workspaces:ides:OAuthClientId"] = IdesOAuthClientId,
            ["Seed:Workspaces:ides:OAuthClientSecret"] = IdesOAuthSecret,
            // Tests talk plain HTTP on loopback.
            ["OAuth:RequireHttps"] = "false",
            // Tests count provisioning events exactly; the sample history is switched on where a test wants it.
            ["Seed:DemoProvisioningLog"] = "false",
            // Generated demo secrets go to a file in the test's own folder, never the project's App_Data.
            ["Seed:CredentialsFile"] = Path.Combine(DataDirectory, "demo-credentials.txt"),
            // Every test host shares one client address (TestServer has none), and many suites send dozens of
            // unauthenticated requests; the per-IP limit is switched on by the tests of it (UnauthenticatedRequestTests).
            ["Scim:RateLimit:UnauthenticatedPerIpPerMinute"] = "0",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
    }

    public string DataDirectory { get; }
    public string DatabasePath => Path.Combine(DataDirectory, "portal.db");

    /// <summary>The provider of this test run (PORTAL_TEST_PROVIDER; SQLite unless it says PostgreSQL).</summary>
    public static DatabaseProvider Provider { get; } =
        string.Equals(Environment.GetEnvironmentVariable("PORTAL_TEST_PROVIDER"), "PostgreSQL", StringComparison.OrdinalIgnoreCase)
            ? DatabaseProvider.PostgreSql
            : DatabaseProvider.Sqlite;

    /// <summary>The PostgreSQL server of the run (PORTAL_TEST_POSTGRES), without a database.</summary>
    public static string PostgresServer => Environment.GetEnvironmentVariable("PORTAL_TEST_POSTGRES")
        ?? throw new InvalidOperationException("PORTAL_TEST_PROVIDER=PostgreSQL needs PORTAL_TEST_POSTGRES (./test.sh sets it).");

    /// <summary>This factory's database: the SQLite file in its folder, or a PostgreSQL database named after the folder.</summary>
    public string ConnectionString => Provider == DatabaseProvider.PostgreSql
        ? $"{PostgresServer};Database={"portal_" + Path.GetFileName(DataDirectory).Replace('-', '_').ToLowerInvariant()}"
        : $"Data Source={DatabasePath}";
    public LogCapture Logs { get; } = new();

    /// <summary>
    /// A client for the app served by Kestrel on a loopback port (real HTTP, real sockets); the first call starts
    /// the server, so call it before anything else uses the factory.
    /// </summary>
    public HttpClient CreateLoopbackClient(string? bearer = null)
    {
        if (!kestrel)
        {
            UseKestrel(0);
            StartServer();
            kestrel = true;
        }

        var client = new HttpClient { BaseAddress = ClientOptions.BaseAddress };
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        }

        return client;
    }

    /// <summary>SQLite's plan for one statement on this app's database (parameters left unbound: the plan does not depend on their values).</summary>
    public async Task<string> QueryPlanAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        var plan = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            plan.Add(reader.GetString(3));
        }

        return string.Join('\n', plan);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value ?? "");
        }

        // Everything reaches the capture; the console (which dotnet test copies into the run's log) gets warnings and
        // errors only: the statement logs some tests count were 80,000 console entries, 69 MB, per run.
        builder.ConfigureLogging(logging => logging.AddProvider(Logs).SetMinimumLevel(LogLevel.Debug)
            .AddFilter<ConsoleLoggerProvider>(null, LogLevel.Warning));
        builder.ConfigureServices(services =>
        {
            // Identity's PBKDF2 at its production work factor (100,000 rounds) costs every seeded host (six demo
            // accounts) and every sign-in tens of milliseconds of CPU, over about 1,800 hosts per run; the hash format
            // records its own round count, so the tests exercise the same code with a smaller work factor.
            services.Configure<PasswordHasherOptions>(o => o.IterationCount = 1_000);
            ConfigureTestServices(services);
        });
    }

    /// <summary>Hook for derived factories (fake clocks and the like).</summary>
    protected virtual void ConfigureTestServices(IServiceCollection services)
    {
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            SqliteConnection.ClearAllPools();
            Npgsql.NpgsqlConnection.ClearAllPools();
        }
    }
}

/// <summary>Collects every log line (rendered message and exception) written through Microsoft.Extensions.Logging.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<string> lines = new();
    private readonly ConcurrentQueue<string> poolThreadLines = new();

    public IReadOnlyCollection<string> Lines => lines;
    public string All => string.Join('\n', lines);

    /// <summary>The lines of <see cref="Lines"/> that were written from a thread-pool thread.</summary>
    public IReadOnlyCollection<string> PoolThreadLines => poolThreadLines;

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, lines, poolThreadLines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines, ConcurrentQueue<string> poolThreadLines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{logLevel} {category}: {formatter(state, exception)} {exception}";
            if (Thread.CurrentThread.IsThreadPoolThread)
            {
                poolThreadLines.Enqueue(line);
            }

            lines.Enqueue(line);
        }
    }
}
