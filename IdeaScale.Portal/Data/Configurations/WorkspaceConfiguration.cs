using IdeaScale.Portal.Data.AccessChanges;

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IdeaScale.Portal.Data.Configurations;

internal sealed class WorkspaceConfiguration : IEntityTypeConfiguration<Workspace>
{
    public void Configure(EntityTypeBuilder<Workspace> b)
    {
        // Host and slug bind tokens to workspaces.
        b.GuardsAccess();
        b.Property(w => w.Name).HasMaxLength(200);
        b.Property(w => w.Slug).HasMaxLength(64);
        b.Property(w => w.PublicUrl).HasMaxLength(400);
        b.Property(w => w.Host).HasMaxLength(255);
        b.HasIndex(w => w.Slug).IsUnique();
        b.HasIndex(w => w.Host);
        b.Ignore(w => w.ScimBaseUrl);
        b.HasOne(w => w.CustomerSuccessManager).WithMany().HasForeignKey(w => w.CustomerSuccessManagerId).OnDelete(DeleteBehavior.SetNull);
        b.HasOne(w => w.Sso).WithOne(s => s.Workspace).HasForeignKey<SsoConfiguration>(s => s.WorkspaceId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne(w => w.Scim).WithOne(s => s.Workspace).HasForeignKey<ScimSettings>(s => s.WorkspaceId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class WorkspaceAdminConfiguration : IEntityTypeConfiguration<WorkspaceAdmin>
{
    public void Configure(EntityTypeBuilder<WorkspaceAdmin> b)
    {
        b.HasKey(a => new { a.WorkspaceId, a.UserId });
        b.HasIndex(a => a.UserId);
        b.HasOne(a => a.Workspace).WithMany(w => w.Admins).HasForeignKey(a => a.WorkspaceId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne(a => a.User).WithMany().HasForeignKey(a => a.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class SsoConfigurationConfiguration : IEntityTypeConfiguration<SsoConfiguration>
{
    public void Configure(EntityTypeBuilder<SsoConfiguration> b)
    {
        b.GuardsAccess();
        b.HasKey(s => s.WorkspaceId);
        b.Property(s => s.Protocol).HasConversion<string>().HasMaxLength(32);
        b.Property(s => s.EntityIdOrIssuer).HasMaxLength(1000);
        b.Property(s => s.SignOnUrl).HasMaxLength(1000);
        b.Property(s => s.ClientId).HasMaxLength(400);
    }
}

internal sealed class ScimSettingsConfiguration : IEntityTypeConfiguration<ScimSettings>
{
    public void Configure(EntityTypeBuilder<ScimSettings> b)
    {
        b.GuardsAccess();
        b.HasKey(s => s.WorkspaceId);
        b.Property(s => s.DisabledReason).HasMaxLength(500);
        b.HasMany(s => s.Credentials).WithOne(c => c.Settings).HasForeignKey(c => c.WorkspaceId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ScimCredentialConfiguration : IEntityTypeConfiguration<ScimCredential>
{
    public void Configure(EntityTypeBuilder<ScimCredential> b)
    {
        b.GuardsAccess();
        b.Property(c => c.TokenHash).HasMaxLength(64);
        b.HasIndex(c => c.TokenHash).IsUnique();

        // At most one current credential per workspace, and "current" and "expires" never disagree. Both are plain
        // portable SQL (a unique index over a nullable column, NULL checks): the same on SQLite and PostgreSQL.
        b.HasIndex(c => c.CurrentWorkspaceId).IsUnique();
        b.ToTable(t =>
        {
            t.HasCheckConstraint("CK_ScimCredentials_CurrentXorExpires",
                "(\"CurrentWorkspaceId\" IS NULL AND \"ExpiresAt\" IS NOT NULL) OR (\"CurrentWorkspaceId\" IS NOT NULL AND \"ExpiresAt\" IS NULL)");
            t.HasCheckConstraint("CK_ScimCredentials_CurrentOfOwnWorkspace",
                "\"CurrentWorkspaceId\" IS NULL OR \"CurrentWorkspaceId\" = \"WorkspaceId\"");
        });
        b.Property(c => c.LastUsedIp).HasMaxLength(64);
        b.Property(c => c.LastUsedUserAgent).HasMaxLength(512);
    }
}

internal sealed class ScimOAuthClientConfiguration : IEntityTypeConfiguration<ScimOAuthClient>
{
    public void Configure(EntityTypeBuilder<ScimOAuthClient> b)
    {
        b.GuardsAccess();
        b.Property(c => c.ClientId).HasMaxLength(100);
        b.Property(c => c.ApplicationId).HasMaxLength(100);
        b.Property(c => c.CreatedBy).HasMaxLength(256);
        b.Property(c => c.LastUsedIp).HasMaxLength(64);
        b.Property(c => c.LastUsedClient).HasMaxLength(512);
        b.Property(c => c.FederationIssuer).HasMaxLength(512);
        b.Property(c => c.FederationJwksUrl).HasMaxLength(2048);
        b.Property(c => c.FederationSubject).HasMaxLength(512);
        b.Property(c => c.FederationAudience).HasMaxLength(512);
        b.HasIndex(c => c.ClientId).IsUnique();
        b.HasIndex(c => c.WorkspaceId);
        b.HasOne(c => c.Workspace).WithMany().HasForeignKey(c => c.WorkspaceId).OnDelete(DeleteBehavior.Cascade);
        b.HasMany(c => c.Secrets).WithOne(s => s.Client).HasForeignKey(s => s.ClientId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ScimOAuthSecretConfiguration : IEntityTypeConfiguration<ScimOAuthSecret>
{
    public void Configure(EntityTypeBuilder<ScimOAuthSecret> b)
    {
        b.GuardsAccess();
        b.Property(s => s.Hash).HasMaxLength(400);
        b.Property(s => s.Hint).HasMaxLength(8);
        b.Property(s => s.CreatedBy).HasMaxLength(256);
        b.HasIndex(s => s.ClientId);
    }
}

internal sealed class ScimOAuthGrantConfiguration : IEntityTypeConfiguration<ScimOAuthGrant>
{
    public void Configure(EntityTypeBuilder<ScimOAuthGrant> b)
    {
        b.GuardsAccess();
        b.Property(g => g.ClientId).HasMaxLength(100);
        b.Property(g => g.ClientDisplayName).HasMaxLength(200);
        b.Property(g => g.AuthorizationId).HasMaxLength(100);
        b.Property(g => g.ConsentedBy).HasMaxLength(256);
        b.Property(g => g.ConsentedByUserId).HasMaxLength(450);
        b.Property(g => g.LastUsedIp).HasMaxLength(64);
        b.Property(g => g.LastUsedClient).HasMaxLength(512);
        b.HasIndex(g => g.WorkspaceId);
        b.HasIndex(g => g.AuthorizationId).IsUnique();
        b.HasOne(g => g.Workspace).WithMany().HasForeignKey(g => g.WorkspaceId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class OAuthServerKeyConfiguration : IEntityTypeConfiguration<OAuthServerKey>
{
    public void Configure(EntityTypeBuilder<OAuthServerKey> b)
    {
        b.Property(k => k.Use).HasMaxLength(8);
        b.HasIndex(k => k.Use).IsUnique();
    }
}
