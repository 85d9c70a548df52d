using IdeaScale.Portal.Data.Interceptors;

using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace IdeaScale.Portal.Data;

/// <summary>Composition of the data layer: the DbContext (scoped for SCIM, factory for Blazor), migrations and demo data.</summary>
public static class DataSetup
{
    public const string DefaultConnectionString = "Data Source=App_Data/portal.db";

    public static WebApplicationBuilder AddPortalData(this WebApplicationBuilder builder)
    {
        var connectionString = ResolveSqlitePath(
            builder.Configuration.GetConnectionString("Portal") ?? DefaultConnectionString,
            builder.Environment.ContentRootPath);

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IInterceptor, AuditStampInterceptor>();
        builder.Services.AddSingleton<IInterceptor, SqlitePragmaInterceptor>();

        // Blazor components take a factory (one short-lived context per operation); SCIM handlers and
        // Identity take the scoped context. Both come from one pool of contexts with the same options: a SCIM
        // request then reuses a context instead of building its internal services anew (measured by
        // IdeaScale.Benchmarks).
        builder.Services.AddPooledDbContextFactory<PortalDbContext>((sp, options) => options
            // A list in a query (ids.Contains(x)) is one JSON parameter, not one parameter per element: the SQL
            // then stays the same for every list, so EF caches it instead of regenerating it on every execution
            // (a third of a GET /Users/{id} before this, measured by IdeaScale.Benchmarks).
            .UseSqlite(connectionString, sqlite => sqlite.UseParameterizedCollectionMode(ParameterTranslationMode.Parameter))
            // A unique-index violation is how a duplicate userName or group name is detected (409 uniqueness, no
            // pre-check query), so EF's own error lines for a failed command would flag every duplicate POST as an
            // error. Every failure that is one reaches an error handler that logs it (ScimErrorHandling, the portal's
            // exception handler), so EF's copies are kept at Debug.
            .ConfigureWarnings(w => w.Log((RelationalEventId.CommandError, LogLevel.Debug), (CoreEventId.SaveChangesFailed, LogLevel.Debug)))
            // Every feature's interceptors (audit stamps, SQLite pragmas, SCIM access-cache invalidation).
            .AddInterceptors(sp.GetServices<IInterceptor>())
            // OpenIddict's entities (the OAuth server of Scim/Credentials).
            .UseOpenIddict());
        builder.Services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContext());

        var keysPath = builder.Configuration["DataProtection:KeysPath"];
        keysPath = Path.GetFullPath(string.IsNullOrWhiteSpace(keysPath) ? "App_Data/keys" : keysPath, builder.Environment.ContentRootPath);
        builder.Services.AddDataProtection()
            .SetApplicationName("IdeaScale.Portal")
            .PersistKeysToFileSystem(new DirectoryInfo(keysPath));

        builder.Services.Configure<SeedOptions>(builder.Configuration.GetSection("Seed"));
        builder.Services.AddScoped<DemoSeeder>();
        return builder;
    }

    /// <summary>Applies pending migrations, then seeds demo data unless Seed:Demo is false.</summary>
    public static async Task InitializeDatabaseAsync(this WebApplication app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        await db.Database.MigrateAsync();
        await scope.ServiceProvider.GetRequiredService<DemoSeeder>().SeedAsync();
    }

    /// <summary>Makes a relative SQLite file path relative to the content root and creates its folder.</summary>
    private static string ResolveSqlitePath(string connectionString, string contentRoot)
    {
        var csb = new SqliteConnectionStringBuilder(connectionString);
        if (csb.DataSource is { Length: > 0 } source && source != ":memory:" && !source.StartsWith("file:", StringComparison.Ordinal)
            && csb.Mode != SqliteOpenMode.Memory)
        {
            csb.DataSource = Path.GetFullPath(source, contentRoot);
            Directory.CreateDirectory(Path.GetDirectoryName(csb.DataSource)!);
        }

        return csb.ToString();
    }
}
