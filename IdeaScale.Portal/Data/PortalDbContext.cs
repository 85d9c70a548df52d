using IdeaScale.Portal.Data.AccessChanges;

using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace IdeaScale.Portal.Data;

/// <summary>
/// The one DbContext: portal accounts (Identity), the SCIM resources, the OAuth server's stores (OpenIddict), the Data Protection key ring and the access
/// version share it. One model for both providers; on PostgreSQL every text column uses the <c>"C"</c> collation, so
/// comparisons and ORDER BY are ordinal (byte order) exactly as on SQLite, whatever locale the server was created with.
/// </summary>
public sealed class PortalDbContext(DbContextOptions<PortalDbContext> options) : IdentityDbContext<PortalUser>(options), IDataProtectionKeyContext
{
    /// <summary>The PostgreSQL collation of every text column: ordinal, like SQLite's BINARY.</summary>
    public const string PostgreSqlCollation = "C";

    public DbSet<Workspace> Workspaces => Set<Workspace>();
    public DbSet<WorkspaceAdmin> WorkspaceAdmins => Set<WorkspaceAdmin>();
    public DbSet<SsoConfiguration> SsoConfigurations => Set<SsoConfiguration>();
    public DbSet<ScimSettings> ScimSettings => Set<ScimSettings>();
    public DbSet<ScimCredential> ScimCredentials => Set<ScimCredential>();
    public DbSet<WorkspaceMember> Members => Set<WorkspaceMember>();
    public DbSet<MemberValue> MemberValues => Set<MemberValue>();
    public DbSet<MemberAddress> MemberAddresses => Set<MemberAddress>();
    public DbSet<WorkspaceGroup> Groups => Set<WorkspaceGroup>();
    public DbSet<GroupMembership> GroupMemberships => Set<GroupMembership>();
    public DbSet<ProvisioningEvent> ProvisioningEvents => Set<ProvisioningEvent>();
    public DbSet<ScimOAuthClient> ScimOAuthClients => Set<ScimOAuthClient>();
    public DbSet<ScimOAuthSecret> ScimOAuthSecrets => Set<ScimOAuthSecret>();
    public DbSet<ScimOAuthGrant> ScimOAuthGrants => Set<ScimOAuthGrant>();
    public DbSet<OAuthServerKey> OAuthServerKeys => Set<OAuthServerKey>();

    public DbSet<AccessVersionRow> AccessVersion => Set<AccessVersionRow>();

    /// <summary>The Data Protection key ring, shared by every app instance (Microsoft.AspNetCore.DataProtection.EntityFrameworkCore).</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    /// <summary>From the options, not <see cref="DbContext.Database"/>: that is not usable while the model is being built.</summary>
    private bool IsPostgreSql { get; } = IsNpgsql(options);

    internal static bool IsNpgsql(IDbContextOptions options) =>
        options.Extensions.OfType<RelationalOptionsExtension>().Any(e => e.GetType().Assembly == typeof(NpgsqlDbContextOptionsBuilderExtensions).Assembly);

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        base.ConfigureConventions(configurationBuilder);
        if (IsPostgreSql)
        {
            // timestamptz takes only UTC DateTimes; every time here is UTC (TimeProvider), but a value read from an
            // unspecified source (a filter literal, a default) must not fail on one provider and pass on the other.
            configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
            configurationBuilder.Properties<string>().UseCollation(PostgreSqlCollation);
        }
    }

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        // OpenIddict's applications, authorizations, scopes and tokens (Scim/Credentials).
        builder.UseOpenIddict();
        builder.ApplyConfigurationsFromAssembly(typeof(PortalDbContext).Assembly);
    }

    /// <summary>Marks a DateTime as UTC on its way to PostgreSQL (the stored instant is unchanged).</summary>
    internal sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
        v => v.Kind == DateTimeKind.Utc ? v : DateTime.SpecifyKind(v, DateTimeKind.Utc),
        v => v.Kind == DateTimeKind.Utc ? v : DateTime.SpecifyKind(v, DateTimeKind.Utc));
}
