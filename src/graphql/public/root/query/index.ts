// Every Query field of the public schema, one file each.
import { globalsQuery } from "./globals"

export const queryFields = {
  globals: globalsQuery,
}
