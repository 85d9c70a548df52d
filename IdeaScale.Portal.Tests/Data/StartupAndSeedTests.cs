using System.Net;

using IdeaScale.Portal.Scim.Credentials.Tokens;
using IdeaScale.Portal.Tests.Infrastructure;

using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdeaScale.Portal.Tests.Data;

public sealed class StartupAndSeedTests
{
    [Trait("Provider", "Sqlite")] // asserts SQLite's own query plan or SQL text
    [Fact]
    public async Task Start_OnEmptySqliteFile_AppliesEveryMigrationAndIsReady()
    {
        using var factory = new PortalFactory();
        Assert.False(File.Exists(factory.DatabasePath));

        using var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);

        Assert.True(File.Exists(factory.DatabasePath));
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
    }

    [Fact]
    public async Task Seed_CreatesDemoWorkspacesAccountsAndGating()
    {
        using var factory = new PortalFactory();
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();

        var workspaces = await db.Workspaces.Include(w => w.Sso).Include(w => w.Scim).Include(w => w.Admins).ThenInclude(a => a.User)
            .Include(w => w.CustomerSuccessManager).OrderBy(w => w.Slug).ToListAsync();
        Assert.Equal(["acme", "ides", "nosso"], workspaces.Select(w => w.Slug));
        var ides = workspaces.Single(w => w.Slug == "ides");
        Assert.Equal("Ideas Demo", ides.Name);
        Assert.True(ides.Sso!.Active);
        Assert.True(ides.Scim!.Enabled);
        Assert.True(workspaces.Single(w => w.Slug == "acme").Sso!.Active);
        Assert.True(workspaces.Single(w => w.Slug == "acme").Scim!.Enabled);
        var nosso = workspaces.Single(w => w.Slug == "nosso");
        Assert.Null(nosso.Sso);
        Assert.False(nosso.Scim!.Enabled);

        foreach (var ws in workspaces)
        {
            Assert.Equal($"admin@{ws.Slug}.example", Assert.Single(ws.Admins).User!.Email);
        }

        Assert.Equal("csm@ideascale.example", ides.CustomerSuccessManager!.Email);
        Assert.Equal("csm@ideascale.example", workspaces.Single(w => w.Slug == "acme").CustomerSuccessManager!.Email);
        Assert.Null(nosso.CustomerSuccessManagerId);

        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var csm = await users.FindByEmailAsync("csm@ideascale.example");
        Assert.True(await users.IsInRoleAsync(csm!, Roles.CustomerSuccess));
        Assert.False(await users.IsInRoleAsync((await users.FindByEmailAsync("admin@ides.example"))!, Roles.CustomerSuccess));
    }

    [Fact]
    public async Task Seed_SecondStartOnSameDatabase_ChangesNothing()
    {
        string directory;
        string before;
        using (var first = new PortalFactory())
        {
            directory = first.DataDirectory;
            before = await SnapshotAsync(first);
        }

        using var second = new PortalFactory(directory, null);
        var after = await SnapshotAsync(second);
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task Seed_UsesConfiguredTokensAndPasswords()
    {
        using var factory = new PortalFactory();
        await using var scope = factory.Services.CreateAsyncScope();
        var credentials = scope.ServiceProvider.GetRequiredService<ScimCredentials>();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();

        var ides = await db.Workspaces.SingleAsync(w => w.Slug == "ides");
        var acme = await db.Workspaces.SingleAsync(w => w.Slug == "acme");
        Assert.Equal(ides.Id, (await credentials.FindAsync(PortalFactory.IdesToken))!.WorkspaceId);
        Assert.Equal(acme.Id, (await credentials.FindAsync(PortalFactory.AcmeToken))!.WorkspaceId);
        Assert.Null(await credentials.FindAsync(PortalFactory.IdesToken + "x"));

        // The unconfigured workspace still gets a generated, prefixed token that reveals back to itself.
        var nossoCredential = await db.ScimCredentials.SingleAsync(c => c.Settings!.Workspace!.Slug == "nosso");
        var nossoToken = credentials.Reveal(nossoCredential);
        Assert.StartsWith(ScimCredentials.Prefix, nossoToken, StringComparison.Ordinal);
        Assert.Equal(nossoCredential.Id, (await credentials.FindAsync(nossoToken))!.Id);

        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        foreach (var slug in new[] { "ides", "acme", "nosso" })
        {
            var admin = await users.FindByEmailAsync($"admin@{slug}.example");
            Assert.True(await users.CheckPasswordAsync(admin!, PortalFactory.AdminPassword));
        }

        Assert.True(await users.CheckPasswordAsync((await users.FindByEmailAsync("csm@ideascale.example"))!, PortalFactory.CsmPassword));
    }

    [Fact]
    public async Task Log_WithConfiguredSecrets_ContainsNoSecret()
    {
        using var factory = new PortalFactory();
        using var client = factory.CreateClient();
        await client.GetAsync("/health/ready");

        var log = factory.Logs.All;
        Assert.Contains("Created the demo data", log, StringComparison.Ordinal);
        Assert.DoesNotContain(PortalFactory.AdminPassword, log, StringComparison.Ordinal);
        Assert.DoesNotContain(PortalFactory.CsmPassword, log, StringComparison.Ordinal);
        Assert.DoesNotContain(PortalFactory.IdesToken, log, StringComparison.Ordinal);
        Assert.DoesNotContain(PortalFactory.AcmeToken, log, StringComparison.Ordinal);
        Assert.DoesNotContain(ScimCredentials.Prefix, log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Seed_WithoutConfiguredSecrets_WritesThemToAnOwnerOnlyFileAndNeverToTheLog()
    {
        using var factory = new PortalFactory(null, new Dictionary<string, string?>
        {
            ["Seed:AdminPassword"] = null,
            ["Seed:CsmPassword"] = null,
            ["Seed:Workspaces:ides:ScimToken"] = null,
            ["Seed:Workspaces:acme:ScimToken"] = null,
            ["Seed:Workspaces:ides:OAuthClientSecret"] = null,
        });
        await using var scope = factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var path = Path.Combine(factory.DataDirectory, "demo-credentials.txt");
        var lines = await File.ReadAllLinesAsync(path);
        var log = factory.Logs.All;

        foreach (var email in new[] { "admin@ides.example", "admin@acme.example", "admin@nosso.example", "csm@ideascale.example" })
        {
            var line = Assert.Single(lines, l => l.StartsWith($"Demo account {email}: password ", StringComparison.Ordinal));
            var password = line.Split("password ")[1];
            Assert.True(await users.CheckPasswordAsync((await users.FindByEmailAsync(email))!, password));
            Assert.DoesNotContain(password, log, StringComparison.Ordinal);
        }

        // The lead's password is configured: not generated, so not in the file.
        Assert.DoesNotContain(lines, l => l.Contains(DemoSeeder.LeadEmail, StringComparison.Ordinal));
        var oauth = Assert.Single(lines, l => l.StartsWith("OAuth client ", StringComparison.Ordinal));
        Assert.DoesNotContain(oauth.Split("secret ")[1], log, StringComparison.Ordinal);
        Assert.Single(factory.Logs.Lines, l => l.Contains(path, StringComparison.Ordinal));
        Assert.DoesNotContain(ScimCredentials.Prefix, log, StringComparison.Ordinal);
        Assert.DoesNotContain(ScimCredentials.Prefix, string.Join('\n', lines), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public async Task Seed_WhenDemoDisabled_CreatesNoWorkspace()
    {
        using var factory = new PortalFactory(null, new Dictionary<string, string?> { ["Seed:Demo"] = "false" });
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        Assert.Empty(await db.Workspaces.ToListAsync());
        Assert.Empty(await db.Users.ToListAsync());
    }

    private static async Task<string> SnapshotAsync(PortalFactory factory)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var parts = new List<string>();
        parts.AddRange(await db.Workspaces.OrderBy(w => w.Slug).Select(w => $"{w.Id}|{w.Slug}|{w.Created:O}").ToListAsync());
        parts.AddRange(await db.Users.OrderBy(u => u.Email).Select(u => $"{u.Id}|{u.Email}|{u.PasswordHash}|{u.SecurityStamp}").ToListAsync());
        parts.AddRange(await db.ScimCredentials.OrderBy(c => c.TokenHash).Select(c => $"{c.Id}|{c.TokenHash}|{c.ProtectedToken}").ToListAsync());
        parts.AddRange(await db.Members.OrderBy(m => m.UserName).Select(m => $"{m.Id}|{m.UserName}|{m.Version}").ToListAsync());
        parts.AddRange(await db.Groups.OrderBy(g => g.DisplayName).Select(g => $"{g.Id}|{g.DisplayName}|{g.Version}").ToListAsync());
        parts.Add($"roles={await db.Roles.CountAsync()} userRoles={await db.UserRoles.CountAsync()} admins={await db.WorkspaceAdmins.CountAsync()} memberships={await db.GroupMemberships.CountAsync()}");
        return string.Join('\n', parts);
    }
}
