using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IdeaScale.Portal.Data.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class ScimCredentialCurrentSlot : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "CurrentWorkspaceId",
                table: "ScimCredentials",
                type: "uuid",
                nullable: true);

            // Same repair and backfill as the SQLite migration of this name (portable SQL): of several never-expiring
            // tokens of a workspace the newest stays current, the older ones stop now; the current one takes the slot.
            migrationBuilder.Sql(
                """
                UPDATE "ScimCredentials" SET "ExpiresAt" = "CreatedAt"
                WHERE "ExpiresAt" IS NULL AND EXISTS (
                    SELECT 1 FROM "ScimCredentials" AS newer
                    WHERE newer."WorkspaceId" = "ScimCredentials"."WorkspaceId" AND newer."ExpiresAt" IS NULL
                      AND (newer."CreatedAt" > "ScimCredentials"."CreatedAt"
                           OR (newer."CreatedAt" = "ScimCredentials"."CreatedAt" AND newer."Id" > "ScimCredentials"."Id")));
                """);
            migrationBuilder.Sql("""UPDATE "ScimCredentials" SET "CurrentWorkspaceId" = "WorkspaceId" WHERE "ExpiresAt" IS NULL;""");

            migrationBuilder.CreateIndex(
                name: "IX_ScimCredentials_CurrentWorkspaceId",
                table: "ScimCredentials",
                column: "CurrentWorkspaceId",
                unique: true);

            migrationBuilder.AddCheckConstraint(
                name: "CK_ScimCredentials_CurrentOfOwnWorkspace",
                table: "ScimCredentials",
                sql: "\"CurrentWorkspaceId\" IS NULL OR \"CurrentWorkspaceId\" = \"WorkspaceId\"");

            migrationBuilder.AddCheckConstraint(
                name: "CK_ScimCredentials_CurrentXorExpires",
                table: "ScimCredentials",
                sql: "(\"CurrentWorkspaceId\" IS NULL AND \"ExpiresAt\" IS NOT NULL) OR (\"CurrentWorkspaceId\" IS NOT NULL AND \"ExpiresAt\" IS NULL)");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_ScimCredentials_CurrentWorkspaceId",
                table: "ScimCredentials");

            migrationBuilder.DropCheckConstraint(
                name: "CK_ScimCredentials_CurrentOfOwnWorkspace",
                table: "ScimCredentials");

            migrationBuilder.DropCheckConstraint(
                name: "CK_ScimCredentials_CurrentXorExpires",
                table: "ScimCredentials");

            migrationBuilder.DropColumn(
                name: "CurrentWorkspaceId",
                table: "ScimCredentials");
        }
    }
}
