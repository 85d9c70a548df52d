using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Data;

/// <summary>The one DbContext: portal accounts (Identity), the SCIM resources and the OAuth server's stores (OpenIddict) share it.</summary>
public sealed class PortalDbContext(DbContextOptions<PortalDbContext> options) : IdentityDbContext<PortalUser>(options)
{
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
    public DbSet<OAuthServerKey> OAuthServerKeys => Set<OAuthServerKey>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        // OpenIddict's applications, authorizations, scopes and tokens (Scim/Credentials).
        builder.UseOpenIddict();
        builder.ApplyConfigurationsFromAssembly(typeof(PortalDbContext).Assembly);
    }
}
