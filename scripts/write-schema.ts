// Writes the public SDL to src/graphql/public/schema.graphql (`npm run schema`).
// test/unit/schema-file.test.ts fails when the committed file is out of date.
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { printSchema } from "graphql"
import { buildPublicSchema } from "../src/graphql/public/schema"

export const schemaFile = join(__dirname, "..", "src", "graphql", "public", "schema.graphql")
export const currentSdl = () => `${printSchema(buildPublicSchema())}\n`

if (require.main === module) {
  writeFileSync(schemaFile, currentSdl())
  console.log(`wrote ${schemaFile}`)
}
