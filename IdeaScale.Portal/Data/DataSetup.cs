using System.Security.Cryptography.X509Certificates;

using IdeaScale.Portal.Data.AccessChanges;
using IdeaScale.Portal.Data.Interceptors;

using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Migrations;

namespace IdeaScale.Portal.Data;

/// <summary>
/// Composition of the data layer: the provider (<c>Database:Provider</c>, SQLite or PostgreSQL), the DbContext (scoped
/// for SCIM, factory for Blazor), the Data Protection key ring in the database, migrations and demo data.
/// </summary>
public static class DataSetup
{
    public static WebApplicationBuilder AddPortalData(this WebApplicationBuilder builder)
    {
        var database = PortalDatabase.FromConfiguration(builder.Configuration, builder.Environment.ContentRootPath);
        builder.Services.AddSingleton(database);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IInterceptor, AuditStampInterceptor>();
        if (!database.IsPostgreSql)
        {
            builder.Services.AddSingleton<IInterceptor, SqlitePragmaInterceptor>();
        }

        builder.Services.AddSingleton<AccessVersion>();
        builder.Services.AddSingleton<IInterceptor, AccessChangeInterceptor>();

        // Blazor components take a factory (one short-lived context per operation); SCIM handlers and
        // Identity take the scoped context. Both come from one pool of contexts with the same options: a SCIM
        // request then reuses a context instead of building its internal services anew (measured by
        // IdeaScale.Benchmarks).
        builder.Services.AddPooledDbContextFactory<PortalDbContext>((sp, options) =>
        {
            if (database.IsPostgreSql)
            {
                // Lists in a query are one array parameter (= ANY(@p)) on PostgreSQL by default.
                options.UseNpgsql(database.ConnectionString);
            }
            else
            {
                // A list in a query (ids.Contains(x)) is one JSON parameter, not one parameter per element: the SQL
                // then stays the same for every list, so EF caches it instead of regenerating it on every execution
                // (a third of a GET /Users/{id} before this, measured by IdeaScale.Benchmarks).
                options.UseSqlite(database.ConnectionString, sqlite => sqlite.UseParameterizedCollectionMode(ParameterTranslationMode.Parameter));
            }

            options
                // One migration set per provider in this assembly (Data/Migrations, Data/Migrations/PostgreSql).
                .ReplaceService<IMigrationsAssembly, ProviderMigrationsAssembly>()
                // A unique-index violation is how a duplicate userName or group name is detected (409 uniqueness, no
                // pre-check query), so EF's own error lines for a failed command would flag every duplicate POST as an
                // error. Every failure that is one reaches an error handler that logs it (ScimErrorHandling, the portal's
                // exception handler), so EF's copies are kept at Debug.
                .ConfigureWarnings(w => w.Log((RelationalEventId.CommandError, LogLevel.Debug), (CoreEventId.SaveChangesFailed, LogLevel.Debug)))
                // Every feature's interceptors (audit stamps, SQLite pragmas, access version).
                .AddInterceptors(sp.GetServices<IInterceptor>())
                // OpenIddict's entities (the OAuth server of Scim/Credentials).
                .UseOpenIddict();
        });
        builder.Services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContext());
        builder.Services.AddSingleton<ReadSessions>();

        // The key ring (it encrypts the stored SCIM tokens, OIDC client secrets, sign-in cookies and antiforgery
        // tokens) lives in the database, so every instance decrypts what another encrypted. At rest the keys are
        // encrypted with a certificate when one is configured.
        var dataProtection = builder.Services.AddDataProtection()
            .SetApplicationName("IdeaScale.Portal")
            .PersistKeysToDbContext<PortalDbContext>();
        if (builder.Configuration["DataProtection:Certificate:Path"] is { Length: > 0 } certificatePath)
        {
            var certificate = X509CertificateLoader.LoadPkcs12FromFile(
                Path.GetFullPath(certificatePath, builder.Environment.ContentRootPath), builder.Configuration["DataProtection:Certificate:Password"]);
            dataProtection.ProtectKeysWithCertificate(certificate);
        }

        builder.Services.Configure<SeedOptions>(builder.Configuration.GetSection("Seed"));
        builder.Services.AddScoped<DemoSeeder>();
        return builder;
    }

    /// <summary>
    /// Creates the database when it does not exist (PostgreSQL), applies pending migrations, seeds demo data unless
    /// Seed:Demo is false and makes sure the key ring has a key, all under one database-wide lock, so instances
    /// starting at once do each step once (<see cref="DatabaseStartup"/>).
    /// </summary>
    public static async Task InitializeDatabaseAsync(this WebApplication app)
    {
        var database = app.Services.GetRequiredService<PortalDatabase>();
        await using var startupLock = await DatabaseStartup.LockAsync(database, app.Services.GetRequiredService<ILogger<PortalDatabase>>());
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        // Migrations run before this instance serves and may rewrite guarded tables (the ScimCredentialCurrentSlot
        // backfill): that is no change of access, and the AccessVersion table may not exist yet at that step.
        using (AccessChanges.AccessChangeInterceptor.NeutralScope())
        {
            await db.Database.MigrateAsync();
        }

        // The first key, created here under the lock, is the one every instance uses; without it, two instances
        // starting at once would each create one and could not read each other's tokens until their rings refresh.
        // Before seeding: the seeder encrypts tokens inside its transaction, and the key ring writes on a connection
        // of its own.
        var keys = app.Services.GetRequiredService<IKeyManager>();
        // Data Protection picks its default key by the system clock, which the app's TimeProvider may not be (a test
        // clock): the key must be active at both instants, or the first Protect would create one inside the seeder's
        // transaction (on SQLite a second writer: "database is locked").
        var now = app.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        var system = TimeProvider.System.GetUtcNow();
        var from = now < system ? now : system;
        var until = (now > system ? now : system).AddDays(90);
        if (!keys.GetAllKeys().Any(k => !k.IsRevoked && k.ActivationDate <= from && k.ExpirationDate > until.AddDays(-90)))
        {
            keys.CreateNewKey(from, until);
        }

        await scope.ServiceProvider.GetRequiredService<DemoSeeder>().SeedAsync();
    }
}
