using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
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

    /// <summary>The Okta-like platform client of the authorization code journey; its redirect URI is answered by Playwright.</summary>
    public const string OktaClientId = "okta-e2e";
    public const string OktaClientSecret = "okta-e2e-secret-0123456789abcdefghijklmnopqrstuvwx";
    public const string OktaRedirectUri = "http://127.0.0.1:9/admin/app/cpc/ideascale/oauth/callback";

    /// <summary>
    /// Waits for a navigation to reach its URL (the response arrived), not for its load event: a page that keeps a
    /// connection open, or a load that finished before the wait began, must not hold a journey for 30 s. The assertions
    /// that follow wait for what they need.
    /// </summary>
    public static PageWaitForURLOptions Navigated { get; } = new() { WaitUntil = WaitUntilState.Commit };

    /// <summary>The app's clock: the system clock, moved forward by a journey that needs time to pass (then set back).</summary>
    public ShiftedClock Clock { get; } = new();

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
        factory = new Factory(dataDirectory, Clock);
        factory.UseKestrel(0);
        factory.StartServer();
        BaseUrl = factory.ClientOptions.BaseAddress.ToString().TrimEnd('/');

        // Assertions wait as long as actions do (the context's 30 s): the machine running the suite is shared and
        // slow at times; a wait bound, not a timing assertion.
        Assertions.SetDefaultExpectTimeout(30_000);
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
        var other = new Factory(dataDirectory, Clock);
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

    private sealed class Factory(string dataDirectory, TimeProvider clock) : WebApplicationFactory<Program>
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
            builder.UseSetting("OAuth:Clients:okta:ClientId", OktaClientId);
            builder.UseSetting("OAuth:Clients:okta:ClientSecret", OktaClientSecret);
            builder.UseSetting("OAuth:Clients:okta:RedirectUris:0", OktaRedirectUri);
            builder.UseSetting("OAuth:Clients:okta:DisplayName", "Okta");
            // The SCIM page re-reads its connection status this often (default 30 s), so journeys see it change without waiting long.
            builder.UseSetting("Scim:Health:PageRefreshInterval", "00:00:01");
            builder.ConfigureServices(services => services.AddSingleton(clock));
        }
    }
}

/// <summary>The system clock plus <see cref="Offset"/>: time keeps moving, and a journey can jump ahead (no waiting in tests).</summary>
public sealed class ShiftedClock : TimeProvider
{
    private long offsetTicks;

    public TimeSpan Offset
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref offsetTicks));
        set => Interlocked.Exchange(ref offsetTicks, value.Ticks);
    }

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;
}

[CollectionDefinition(Name)]
public sealed class PortalE2E : ICollectionFixture<PortalAppHost>
{
    public const string Name = "portal";
}
