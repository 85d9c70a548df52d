using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

using OpenIddict.Server;

namespace IdeaScale.Portal.Scim.Credentials.OAuth;

/// <summary>
/// Gives the OAuth server its signing and encryption keys. A configured certificate (OAuth:Keys:*CertificatePath)
/// wins; otherwise one RSA key per use is generated on first start and kept in the database (<see cref="OAuthServerKey"/>),
/// protected by ASP.NET Core Data Protection, so issued tokens stay valid across restarts and on every node that
/// shares the database and the Data Protection keys. Never OpenIddict's development certificates.
/// </summary>
internal sealed class OAuthServerKeys(
    IDbContextFactory<PortalDbContext> dbFactory,
    IDataProtectionProvider protection,
    IOptions<OAuthOptions> options,
    TimeProvider time) : IConfigureOptions<OpenIddictServerOptions>
{
    public const string SigningUse = "sig";
    public const string EncryptionUse = "enc";
    private const int KeySize = 2048;

    private readonly IDataProtector protector = protection.CreateProtector("IdeaScale.Portal.OAuthServerKey.v1");

    public void Configure(OpenIddictServerOptions server)
    {
        var keys = options.Value.Keys;
        SecurityKey signing = string.IsNullOrWhiteSpace(keys.SigningCertificatePath)
            ? LoadOrCreate(SigningUse)
            : new X509SecurityKey(LoadCertificate(keys.SigningCertificatePath, keys.SigningCertificatePassword));
        SecurityKey encryption = string.IsNullOrWhiteSpace(keys.EncryptionCertificatePath)
            ? LoadOrCreate(EncryptionUse)
            : new X509SecurityKey(LoadCertificate(keys.EncryptionCertificatePath, keys.EncryptionCertificatePassword));
        server.SigningCredentials.Add(new SigningCredentials(signing, SecurityAlgorithms.RsaSha256));
        server.EncryptionCredentials.Add(new EncryptingCredentials(encryption, SecurityAlgorithms.RsaOAEP, SecurityAlgorithms.Aes256CbcHmacSha512));
    }

    private static X509Certificate2 LoadCertificate(string path, string? password) =>
        X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.EphemeralKeySet);

    /// <summary>The stored key for <paramref name="use"/>, created first when there is none (a concurrent creator's key wins).</summary>
    private RsaSecurityKey LoadOrCreate(string use)
    {
        using var db = dbFactory.CreateDbContext();
        var stored = db.OAuthServerKeys.AsNoTracking().FirstOrDefault(k => k.Use == use);
        if (stored is null)
        {
            using var rsa = RSA.Create(KeySize);
            var created = new OAuthServerKey
            {
                Use = use,
                ProtectedKey = Convert.ToBase64String(protector.Protect(rsa.ExportPkcs8PrivateKey())),
                CreatedAt = time.GetUtcNow().UtcDateTime,
            };
            db.OAuthServerKeys.Add(created);
            try
            {
                db.SaveChanges();
                stored = created;
            }
            catch (DbUpdateException)
            {
                // Another node created it first (unique Use): use theirs.
                db.ChangeTracker.Clear();
                stored = db.OAuthServerKeys.AsNoTracking().First(k => k.Use == use);
            }
        }

        var key = RSA.Create();
        key.ImportPkcs8PrivateKey(protector.Unprotect(Convert.FromBase64String(stored.ProtectedKey)), out _);
        return new RsaSecurityKey(key) { KeyId = stored.Id.ToString("N") };
    }
}
