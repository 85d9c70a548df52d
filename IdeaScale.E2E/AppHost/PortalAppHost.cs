using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;

namespace IdeaScale.E2E.AppHost;

/// <summary>
/// Runs the real app on Kestrel at a loopback port with a seeded SQLite file in a temporary folder (or a new PostgreSQL
/// database with PORTAL_TEST_PROVIDER=PostgreSQL and PORTAL_TEST_POSTGRES), and a real
/// Debian Chromium driven by Playwright. One instance is shared by the tests of a collection.
/// </summary>
public sealed class PortalAppHost : IAsyncLifetime, IDisposable
{
    public const string AdminPassword = "E2e-Admin-Pass-1!";
    public const string CsmPassword = "E2e-Csm-Pass-2!";
    public const string LeadPassword = "E2e-Lead-Pass-3!";
    public const string IdesToken = "iscim_e2e-ides-0123456789abcdefghijklmnopqrstuvwxyzABCD";

    private readonly string dataDirectory = Directory.CreateTempSubdirectory("ideascale-e2e-").FullName;
    private Factory? factory;
    private IPlaywright? playwright;

    public string BaseUrl { get; private set; } = "";

    /// <summary>The running app's services (for journeys that need their own account).</summary>
    public IServiceProvider Services => factory?.Services ?? throw new InvalidOperationException("The app is not running.");
    public IBrowser Browser { get; private set; } = default!;

    /// <summary>Where screenshots go: TestResults/screenshots next to the test assembly.</summary>
    public static string ScreenshotDirectory { get; } =
        Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots")).FullName;

    public async Task InitializeAsync()
    {
        factory = new Factory(dataDirectory);
        factory.UseKestrel(0);
        factory.StartServer();
        BaseUrl = factory.ClientOptions.BaseAddress.ToString().TrimEnd('/');

        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium",
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
            ],
        });
    }

    /// <summary>
    /// Another instance of the app on the same database (and so the same Data Protection key ring), on its own
    /// loopback port, as a deployment with several instances runs; disposed by the caller.
    /// </summary>
    public WebApplicationFactory<Program> StartAnotherInstance(out Uri baseUrl)
    {
        var other = new Factory(dataDirectory);
        other.UseKestrel(0);
        other.StartServer();
        baseUrl = other.ClientOptions.BaseAddress;
        return other;
    }

    public async Task<IPage> NewPageAsync(string? baseUrl = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseUrl ?? BaseUrl,
            Permissions = ["clipboard-read", "clipboard-write"],
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png"), FullPage = true });

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        playwright?.Dispose();
        if (factory is not null)
        {
            await factory.DisposeAsync();
        }

        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }

    public void Dispose() => factory?.Dispose();

    private sealed class Factory(string dataDirectory) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            // ./test.sh runs the journeys on SQLite, then on PostgreSQL (a new database named after the data folder).
            if (string.Equals(Environment.GetEnvironmentVariable("PORTAL_TEST_PROVIDER"), "PostgreSQL", StringComparison.OrdinalIgnoreCase))
            {
                builder.UseSetting("Database:Provider", "PostgreSQL");
                builder.UseSetting("ConnectionStrings:Portal",
                    $"{Environment.GetEnvironmentVariable("PORTAL_TEST_POSTGRES")};Database=e2e_{Path.GetFileName(dataDirectory).Replace('-', '_').ToLowerInvariant()}");
            }
            else
            {
                builder.UseSetting("ConnectionStrings:Portal", $"Data Source={Path.Combine(dataDirectory, "portal.db")}");
            }

            builder.UseSetting("Seed:AdminPassword", AdminPassword);
            builder.UseSetting("Seed:CsmPassword", CsmPassword);
            builder.UseSetting("Seed:LeadPassword", LeadPassword);
            builder.UseSetting("Seed:Workspaces:ides:ScimToken", IdesToken);
            // Every journey signs in from the same loopback address, and most as the same few demo accounts, more
            // often than the default sign-in limits allow (20 per address per minute, 10 per account per 5 minutes);
            // lockout stays at its default. The defaults are exercised by IdeaScale.Portal.Tests (SignInLockoutTests).
            builder.UseSetting("SignIn:Throttle:PerIp:PermitLimit", "1000");
            builder.UseSetting("SignIn:Throttle:PerAccount:PermitLimit", "1000");
            // Plain HTTP on loopback.
            builder.UseSetting("OAuth:RequireHttps", "false");
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PortalE2E : ICollectionFixture<PortalAppHost>
{
    public const string Name = "portal";
}
